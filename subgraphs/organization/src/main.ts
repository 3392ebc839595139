import { serveDepartment } from '@zigong/kit';
import { organization } from './index';

serveDepartment(organization);
